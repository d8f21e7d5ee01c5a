import { closePools } from "./db";

afterAll(closePools);

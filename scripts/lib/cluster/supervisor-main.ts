/** The supervisor process of a local control plane (started by scripts/lib/cluster/index.ts). */
import { runSupervisor } from "./supervisor.js";

const args = process.argv.slice(2);
const stateDir = args[args.indexOf("--state") + 1];
if (!args.includes("--state") || !stateDir) {
  process.stderr.write("usage: supervisor-main --state DIR [--detached] [--no-package]\n");
  process.exit(2);
}
process.exitCode = await runSupervisor({ stateDir, detached: args.includes("--detached"), withPackage: !args.includes("--no-package") });
process.exit();

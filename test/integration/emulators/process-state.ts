import { readFileSync } from "node:fs";

/**
 * Whether a process is alive. A killed process whose parent is gone stays a zombie until
 * PID 1 reaps it, and some sandboxes' PID 1 never does: a zombie counts as dead.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (macOS): signal 0 succeeded, so it exists
  }
}

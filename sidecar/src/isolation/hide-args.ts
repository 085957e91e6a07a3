// Every local user (build code included) can read a process's command line (`ps`,
// /proc/<pid>/cmdline). A secret given as a flag is rewritten there as soon as the program runs:
// process.title overwrites the original argv memory on Linux. (Before that it is visible: a file
// or an environment variable is the better way to pass one.)
export function hideSecretArgs(program: string[], argv: string[], flags: readonly string[]): void {
  const shown = argv.map((a, i) => {
    if (flags.includes(argv[i - 1] ?? "")) return "***";
    const eq = a.indexOf("=");
    return eq > 0 && flags.includes(a.slice(0, eq)) ? `${a.slice(0, eq)}=***` : a;
  });
  if (shown.some((a, i) => a !== argv[i])) process.title = [...program, ...shown].join(" ");
}

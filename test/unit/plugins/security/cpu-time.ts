// CPU time of this process (user + system) spent running `work`, in milliseconds. The linear-time
// tests bound this rather than wall-clock time: they guard against catastrophic backtracking (a
// super-linear scan of 1 MiB runs for minutes), and CPU time does not grow when other processes
// share the machine's cores, which made wall-clock bounds fail on a busy CI host.
export function cpuMs<T>(work: () => T): { result: T; ms: number } {
  const before = process.cpuUsage();
  const result = work();
  const spent = process.cpuUsage(before);
  return { result, ms: (spent.user + spent.system) / 1000 };
}

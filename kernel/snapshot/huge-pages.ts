/**
 * The environment of a kernel started from its snapshot: glibc's malloc asked to back its large blocks with
 * transparent huge pages (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, glibc 2.35 and later, where the system's
 * THP mode is "madvise"; elsewhere glibc ignores it).
 *
 * Node.js reads the ~55 MB snapshot into memory allocated by malloc before restoring it, and on a VM each
 * fresh 4 KiB page costs a fault of its own: on a 2-core Firecracker VM faults cost ~10 µs, and restoring took
 * ~59,000 of them, 0.96 s for `node --snapshot-blob <file> -e 0`; with the tunable, ~29,000 and 0.58–0.71 s,
 * and a kernel started from the snapshot gave its first result 0.3–0.4 s sooner through jupyter_client.
 *
 * The user's own tunables are kept (theirs win for this one), and the kernel puts GLIBC_TUNABLES back as it
 * was once it runs, so the processes that cells start see the environment the client gave the kernel.
 */
const TUNABLES = "GLIBC_TUNABLES";
const HUGE_PAGE_MALLOC = "glibc.malloc.hugetlb=1";
/** The launcher's GLIBC_TUNABLES, for the kernel to put back ("" when it was unset). */
const ORIGINAL = "STEPWISE_KERNEL_GLIBC_TUNABLES";

/** `env` with huge-page malloc added to its tunables, and what to put back. */
export function withHugePageMalloc(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = env[TUNABLES];
  if (own !== undefined && /(^|:)glibc\.malloc\.hugetlb=/.test(own)) return env;
  return { ...env, [TUNABLES]: own ? `${own}:${HUGE_PAGE_MALLOC}` : HUGE_PAGE_MALLOC, [ORIGINAL]: own ?? "" };
}

/** In the kernel: GLIBC_TUNABLES as the launcher had it. */
export function restoreTunables(env: NodeJS.ProcessEnv = process.env): void {
  const original = env[ORIGINAL];
  if (original === undefined) return;
  if (original === "") delete env[TUNABLES];
  else env[TUNABLES] = original;
  delete env[ORIGINAL];
}

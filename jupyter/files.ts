// moved to src/util/files; kept until the kernel and runner branches merge
export { writeFileAtomic } from "../src/util/files";

/**
 * Compiles assembly/index.ts (stepwise's SIMD kernels for tfjs's wasm backend) with AssemblyScript into
 * four binaries: one per tfjs wasm build it can be attached to, each with and without relaxed SIMD (whose
 * fused multiply-add the products use; src/backend/kernels/simd.ts picks what the engine supports):
 *
 *   dist/wasm/kernels-shared.wasm          imports a shared memory (tfjs's threaded-SIMD build)
 *   dist/wasm/kernels.wasm                 imports an ordinary memory (tfjs's SIMD build)
 *   dist/wasm/kernels-shared-relaxed.wasm  the same two with relaxed SIMD
 *   dist/wasm/kernels-relaxed.wasm
 *
 * The module works inside tfjs's heap, so it must not own memory: a binary with a data segment, a global
 * or a start function is refused.
 */
import asc from "assemblyscript/asc";
import { mkdir, rename, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = path.join(root, "dist", "wasm");
const common = ["assembly/index.ts", "-O3", "--runtime", "stub", "--noAssert", "--importMemory", "--initialMemory", "1", "--enable", "simd"];
const shared = ["--sharedMemory", "--maximumMemory", "65536", "--enable", "threads"];
const relaxed = ["--enable", "relaxed-simd"];
const variants = {
  "kernels-shared.wasm": [...common, ...shared],
  "kernels.wasm": common,
  "kernels-shared-relaxed.wasm": [...common, ...shared, ...relaxed],
  "kernels-relaxed.wasm": [...common, ...relaxed],
};

/** Section ids (WebAssembly core spec §5.5.2) that would give the module state of its own. */
const FORBIDDEN_SECTIONS = { 6: "global", 8: "start", 11: "data" };

function forbiddenSections(bytes) {
  const found = [];
  let at = 8; // magic and version
  while (at < bytes.length) {
    const id = bytes[at++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      size |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    if (FORBIDDEN_SECTIONS[id]) found.push(FORBIDDEN_SECTIONS[id]);
    at += size;
  }
  return found;
}

await mkdir(outDir, { recursive: true });
for (const [file, args] of Object.entries(variants)) {
  let binary;
  const { error, stderr } = await asc.main([...args, "--outFile", file], {
    baseDir: root,
    writeFile(name, contents) {
      if (name === file) binary = contents;
    },
  });
  if (error) {
    process.stderr.write(stderr.toString());
    throw new Error(`build-wasm: compiling assembly/index.ts for ${file} failed: ${error.message}`);
  }
  const forbidden = forbiddenSections(binary);
  if (forbidden.length > 0) {
    throw new Error(`build-wasm: ${file} has ${forbidden.join(", ")} section(s); the kernels must keep no state in tfjs's heap`);
  }
  const target = path.join(outDir, file);
  await writeFile(`${target}.tmp`, binary);
  await rename(`${target}.tmp`, target);
}

/**
 * A loaded module's BTF as a kernel object. fentry/fexit on a module's function must name the
 * BTF its attach_btf_id belongs to: BPF_PROG_LOAD takes an fd of the module's BTF object in
 * attach_btf_obj_fd (5.11+). There is no lookup by name, so the loaded BTF objects are walked
 * by id and each one's info read until one is kernel BTF with the module's name.
 */
import { btfGetFdById, btfGetNextId, objGetInfoByFd } from '../sys/bpf.js';
import { Fd } from '../sys/fd.js';
import { NativeBuffer } from '../sys/mem.js';
import { ENOENT } from '../sys/errno.js';
import { ResolveError, SysError } from '../errors.js';

/** struct bpf_btf_info: btf u64, btf_size u32, id u32, name u64, name_len u32, kernel_btf u32. */
const INFO_SIZE = 32;
const NAME_SIZE = 64;

const held = new Map<string, Fd>();

/** The name of a BTF object if it is kernel BTF (vmlinux or a module), else undefined. */
function kernelBtfName(fd: number): string | undefined {
  using info = new NativeBuffer(INFO_SIZE);
  using name = new NativeBuffer(NAME_SIZE);
  const dv = new DataView(info.bytes.buffer, info.bytes.byteOffset, INFO_SIZE);
  dv.setBigUint64(16, name.addr, true);
  dv.setUint32(24, NAME_SIZE, true);
  objGetInfoByFd(fd, info);
  if (dv.getUint32(28, true) === 0) return undefined;
  const end = name.bytes.indexOf(0);
  return new TextDecoder().decode(name.bytes.subarray(0, end < 0 ? NAME_SIZE : end));
}

/**
 * An fd of the BTF object of a loaded module, held for the life of the process (programs
 * loaded against it keep their own reference; exiting closes it).
 */
export function moduleBtfObjectFd(module: string): number {
  const have = held.get(module);
  if (have) return have.value;
  for (let id = btfGetNextId(0); id !== undefined; id = btfGetNextId(id)) {
    let fd: number;
    try {
      fd = btfGetFdById(id);
    } catch (e) {
      if (e instanceof SysError && e.errno === ENOENT) continue; // freed meanwhile
      throw e;
    }
    const obj = new Fd(fd);
    let name: string | undefined;
    try {
      name = kernelBtfName(fd);
    } finally {
      if (name !== module) obj.close();
    }
    if (name === module) {
      held.set(module, obj);
      return fd;
    }
  }
  throw new ResolveError(`the kernel has no BTF object for module '${module}' (unloaded?)`);
}

/**
 * `polytrace completion bash|zsh|fish`: a completion script for polytrace and the five
 * BCC-named bins. Options come from each tool's own Command (the one --help prints); probe
 * names (and `polytrace list`'s patterns) are completed by calling back `polytrace completion
 * --candidates TOOL WORD`, which reads the host through the providers and ProbeHost: tracefs
 * for `t:category:event`, kernel BTF for raw tracepoint names, the kernel's function list for
 * kernel functions (none where the kernel cannot attach them), the ELF symbols of the library
 * typed so far for `lib:func` and `p:lib:func`, USDT notes for `u:lib:probe`.
 *
 *   eval "$(polytrace completion bash)"      # or: polytrace completion bash > /etc/bash_completion.d/polytrace
 *   source <(polytrace completion zsh)
 *   polytrace completion fish > ~/.config/fish/completions/polytrace.fish
 */
import { completeProbe, LIST_WORDS, providerForList } from '../probes/registry.js';
import { kernelFunctionProvider } from '../probes/providers/kernel-function.js';
import { uprobeProvider } from '../probes/providers/uprobe.js';
import { completions } from '../probes/listing.js';
import type { ProbeHost } from '../probes/host.js';
import { RAW_TRACEPOINT_WORDS } from '../specs/ast.js';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { commandOf } from './options.js';
import { TOOLS, COMMANDS } from './tools.js';
import { assertNever, UsageError } from '../errors.js';

/** What completes after `polytrace`. */
export const SUBCOMMANDS = [...TOOLS, ...COMMANDS] as const;

/** The shells `polytrace completion` writes a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** `polytrace list`'s options (its Command is built in its run, not by a parseOptions). */
const LIST_FLAGS = ['-v', '--verbose', '-h', '--help'];

export interface ToolOptions {
  /** Every flag spelling (`-p`, `--pid`). */
  readonly flags: string[];
  /** Spellings of the options that take a value. */
  readonly withValue: string[];
  /** Options whose value is a probe spec (argdist -C/-H). */
  readonly specValue: string[];
  /** Options whose value is a file or directory. */
  readonly fileValue: string[];
}

export async function toolCommand(tool: string): Promise<Command> {
  switch (tool) {
    case 'trace':
      return commandOf((await import('./trace.js')).parseOptions, tool);
    case 'argdist':
      return commandOf((await import('./argdist.js')).parseOptions, tool);
    case 'funccount':
      return commandOf((await import('./funccount.js')).parseOptions, tool);
    case 'funclatency':
      return commandOf((await import('./funclatency.js')).parseOptions, tool);
    case 'stackcount':
      return commandOf((await import('./stackcount.js')).parseOptions, tool);
    default:
      throw new UsageError(`unknown tool '${tool}'`);
  }
}

export function toolOptions(cmd: Command): ToolOptions {
  const r: ToolOptions = { flags: [], withValue: [], specValue: [], fileValue: [] };
  const opts = [...(cmd.options as readonly Option[])];
  for (const o of opts) {
    const spellings = [o.short, o.long].filter((x): x is string => !!x);
    r.flags.push(...spellings);
    if (o.required || o.optional) {
      r.withValue.push(...spellings);
      if (/specifier/.test(o.flags)) r.specValue.push(...spellings);
      if (/FILE|CGROUP|SYM_FILE|header/.test(o.flags)) r.fileValue.push(...spellings);
    }
  }
  r.flags.push('-h', '--help');
  return r;
}

// ---------------------------------------------------------------------------------------------
// Candidates
// ---------------------------------------------------------------------------------------------

/** Libraries named so far: files for paths, ld.so.cache names otherwise. */
async function libraryCandidates(prefix: string, want: string): Promise<string[]> {
  if (want.includes('/')) {
    const dir = want.slice(0, want.lastIndexOf('/') + 1);
    try {
      return readdirSync(dir || '/', { withFileTypes: true })
        .map((e) => `${dir}${e.name}${e.isDirectory() ? '/' : ':'}`)
        .filter((n) => n.startsWith(want))
        .sort()
        .map((n) => prefix + n);
    } catch {
      return [];
    }
  }
  if (want === '') return [];
  try {
    const { readLdCache } = await import('../symbols/ldcache.js');
    const names = new Set<string>();
    for (const e of readLdCache().entries) {
      const m = /^lib(.+?)\.so/.exec(e.name);
      if (m) names.add(`${m[1]}:`);
    }
    return completions(names, prefix, want);
  } catch {
    return [];
  }
}

/**
 * Completions of one probe word for `tool`. Forms: `t:cat:event`, `u:lib:probe`,
 * `rawtracepoint:name` / `rt:name` (argdist: `rawtracepoint::name`), `p:lib:func` /
 * `r:lib:func` (`p::func` kernel), `lib:func`, and a bare kernel function.
 */
export async function probeCandidates(tool: string, word: string, host: ProbeHost): Promise<string[]> {
  if (tool === 'list') {
    const listed = listPatternCandidates(word, host);
    if (listed) return listed;
  }
  // trace/argdist specs carry a format or types after the name: complete only the name part.
  const m = /^([a-z]+):(.*)$/.exec(word);
  if (m) {
    const [, head, rest] = m as unknown as [string, string, string];
    const probe = completeProbe(host, head, rest);
    if (probe === 'library') return libraryCandidates(`${head}:`, rest);
    if (probe) return probe;
    // `lib:func` (funccount, funclatency, stackcount, trace's short form).
    return uprobeProvider.complete(host, head, rest, `${head}:`);
  }
  const slash = /^(.*\/[^:]*):(.*)$/.exec(word);
  if (slash) return uprobeProvider.complete(host, slash[1]!, slash[2]!, `${slash[1]}:`);
  if (word.includes('/')) return libraryCandidates('', word);
  const kinds =
    tool === 'argdist'
      ? ['p:', 'r:', 't:', 'u:', 'rawtracepoint::']
      : tool === 'trace'
        ? ['p:', 'r:', 't:', 'u:', 'rawtracepoint:']
        : tool === 'funclatency'
          ? ['t:', 'u:', 'p:']
          : tool === 'list'
            ? [...LIST_KINDS, 't:', 'u:', 'p:']
            : ['t:', 'u:', 'p:', 'rawtracepoint:'];
  const fromKernel = await kernelFunctionProvider.complete(host, '', word, '');
  return [...kinds.filter((k) => k.startsWith(word)), ...fromKernel];
}

/** bpftrace's probe types, as `polytrace list` offers them before a pattern is typed. */
const LIST_KINDS = ['kprobe:', 'kretprobe:', 'fentry:', 'fexit:', 'tracepoint:', 'rawtracepoint:', 'uprobe:', 'uretprobe:', 'usdt:'];

/**
 * `polytrace list` patterns in bpftrace's spellings (`tracepoint:sched:sched_w`, `kprobe:vfs_`,
 * `uprobe:/bin/bash:read`, `usdt:python3.11:`); undefined for the spellings the tools share
 * (BCC's letters, `rt:`), which `probeCandidates` completes.
 */
function listPatternCandidates(word: string, host: ProbeHost): Promise<string[]> | undefined {
  const m = /^([A-Za-z]+):(.*)$/.exec(word);
  if (!m) return undefined;
  const [, head, rest] = m as unknown as [string, string, string];
  const kind = Object.hasOwn(LIST_WORDS, head) ? LIST_WORDS[head] : undefined;
  if (kind === undefined || ['p', 'r', 't', 'u'].includes(head) || RAW_TRACEPOINT_WORDS.has(head)) return undefined;
  const provider = providerForList(kind);
  switch (kind) {
    case 'kprobe':
    case 'kretprobe':
    case 'fentry':
    case 'fexit':
    case 'tracepoint':
    case 'rawtracepoint':
      return provider.complete(host, '', rest, `${head}:`);
    case 'uprobe':
    case 'uretprobe':
    case 'usdt': {
      const c = rest.indexOf(':');
      if (c < 0) return libraryCandidates(`${head}:`, rest);
      const library = rest.slice(0, c);
      return provider.complete(host, library, rest.slice(c + 1), `${head}:${library}:`);
    }
    default:
      return assertNever(kind, 'list kind');
  }
}

// ---------------------------------------------------------------------------------------------
// Scripts
// ---------------------------------------------------------------------------------------------

/** The command the scripts call back: this node and this package's bin, absolute. */
function selfCommand(): string[] {
  const bin = fileURLToPath(new URL('../../bin/polytrace.js', import.meta.url));
  return [process.execPath, bin];
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export async function bashScript(): Promise<string> {
  const cases: string[] = [];
  for (const tool of TOOLS) {
    const o = toolOptions(await toolCommand(tool));
    cases.push(`    ${tool})
      opts=${q(o.flags.join(' '))}; valued=${q(o.withValue.join(' '))}; specs=${q(o.specValue.join(' '))}; files=${q(o.fileValue.join(' '))} ;;`);
  }
  const self = selfCommand().map(q).join(' ');
  return `# bash completion for polytrace and its tools (trace argdist funccount funclatency stackcount).
# Generated by: polytrace completion bash
__polytrace_self=(${self})

_polytrace() {
  local tool cur prev i line opts valued specs files first=1
  COMPREPLY=()
  tool=\${COMP_WORDS[0]##*/}
  if [[ $tool == polytrace ]]; then
    if (( COMP_CWORD == 1 )); then
      COMPREPLY=( $(compgen -W ${q([...SUBCOMMANDS, '-h', '--help', '-V', '--version'].join(' '))} -- "\${COMP_WORDS[1]}") )
      return 0
    fi
    tool=\${COMP_WORDS[1]}
    first=2
  fi
  # The word being completed and the one before, whole: bash splits words at ':'
  # (COMP_WORDBREAKS), so both are read off the line up to the cursor.
  if [[ -n \${COMP_LINE-} ]]; then
    line=\${COMP_LINE:0:\${COMP_POINT:-\${#COMP_LINE}}}
  else
    line="\${COMP_WORDS[*]:0:COMP_CWORD+1}"
  fi
  if [[ $line == *[[:space:]] ]]; then cur=; else cur=\${line##*[[:space:]]}; fi
  local -a toks
  read -ra toks <<< "\${line%"$cur"}"
  prev=\${toks[\${#toks[@]}-1]-}
  (( \${#toks[@]} > first )) || prev=
  cur=\${cur#[\\"\\']}
  case $tool in
${cases.join('\n')}
    list)
      opts=${q(LIST_FLAGS.join(' '))}; valued=; specs=; files= ;;
    completion)
      COMPREPLY=( $(compgen -W ${q(SHELLS.join(' '))} -- "$cur") ); return 0 ;;
    *) return 0 ;;
  esac
  if [[ -n $prev && " $files " == *" $prev "* ]]; then
    COMPREPLY=( $(compgen -f -- "$cur") ); return 0
  fi
  if [[ $prev == -p || $prev == --pid ]]; then
    COMPREPLY=( $(cd /proc 2>/dev/null && compgen -W "$(ls -d [0-9]* 2>/dev/null)" -- "$cur") ); return 0
  fi
  if [[ -n $prev && " $valued " == *" $prev "* && " $specs " != *" $prev "* ]]; then
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") ); return 0
  fi
  local IFS=$'\\n' c
  COMPREPLY=( $("\${__polytrace_self[@]}" completion --candidates "$tool" "$cur" 2>/dev/null) )
  # Candidates are whole words; bash wants them from the last ':' on.
  if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
    local strip=\${cur%"\${cur##*:}"}
    for i in "\${!COMPREPLY[@]}"; do COMPREPLY[i]=\${COMPREPLY[i]#"$strip"}; done
  fi
  # A category, library or directory goes on: no space after it.
  if (( \${#COMPREPLY[@]} )) && [[ \${COMPREPLY[0]} == *[:/] ]]; then
    compopt -o nospace 2>/dev/null
  fi
  return 0
}
complete -F _polytrace polytrace trace argdist funccount funclatency stackcount
`;
}

export async function zshScript(): Promise<string> {
  const cases: string[] = [];
  for (const tool of TOOLS) {
    const o = toolOptions(await toolCommand(tool));
    cases.push(`    ${tool}) opts=(${o.flags.map(q).join(' ')}); valued=(${o.withValue.map(q).join(' ')}); specs=(${o.specValue.map(q).join(' ')}) ;;`);
  }
  return `#compdef polytrace trace argdist funccount funclatency stackcount
# zsh completion for polytrace and its tools. Generated by: polytrace completion zsh
__polytrace_self=(${selfCommand().map(q).join(' ')})

_polytrace() {
  local tool=\${words[1]:t} first=2 cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  local -a opts valued specs cands
  if [[ $tool == polytrace ]]; then
    if (( CURRENT == 2 )); then
      compadd -- ${[...SUBCOMMANDS, '--help', '--version'].join(' ')}
      return
    fi
    tool=\${words[2]}
  fi
  case $tool in
${cases.join('\n')}
    list) opts=(${LIST_FLAGS.map(q).join(' ')}); valued=(); specs=() ;;
    completion) compadd -- ${SHELLS.join(' ')}; return ;;
    *) return 1 ;;
  esac
  if (( \${valued[(Ie)$prev]} && ! \${specs[(Ie)$prev]} )); then
    _files
    return
  fi
  if [[ $cur == -* ]]; then
    compadd -- $opts
    return
  fi
  cands=("\${(@f)$("\${__polytrace_self[@]}" completion --candidates "$tool" "$cur" 2>/dev/null)}")
  local c
  for c in $cands; do
    [[ -z $c ]] && continue
    if [[ $c == *[:/] ]]; then compadd -Q -S '' -- "$c"; else compadd -Q -- "$c"; fi
  done
}
compdef _polytrace polytrace trace argdist funccount funclatency stackcount
`;
}

export async function fishScript(): Promise<string> {
  const lines: string[] = [];
  const bins = ['polytrace', ...TOOLS];
  // One set of lines per tool: on its own bin, and after `polytrace TOOL`.
  const forTool = (tool: string, o: ToolOptions, options: readonly Option[]): void => {
    const targets = [`-c ${tool}`, `-c polytrace -n ${q(`__fish_seen_subcommand_from ${tool}`)}`];
    for (const t of targets) {
      lines.push(`complete ${t} -f -a '(__polytrace_candidates)'`);
      for (const opt of options) {
        const spell = [
          opt.short ? (opt.short.length === 2 ? `-s ${opt.short.slice(1)}` : `-o ${opt.short.slice(1)}`) : '',
          opt.long ? `-l ${opt.long.slice(2)}` : '',
        ]
          .filter(Boolean)
          .join(' ');
        const spellings = [opt.short, opt.long].filter((x): x is string => !!x);
        let value = '';
        if (spellings.some((x) => o.fileValue.includes(x))) value = ' -r -F';
        else if (spellings.some((x) => o.specValue.includes(x))) value = ` -x -a '(__polytrace_candidates)'`;
        else if (opt.long === '--pid') value = ` -x -a '(__fish_complete_pids)'`;
        else if (spellings.some((x) => o.withValue.includes(x))) value = ' -x';
        lines.push(`complete ${t} ${spell}${value} -d ${q(opt.description.split('\n')[0]!.slice(0, 60))}`);
      }
    }
  };
  for (const tool of TOOLS) {
    const cmd = await toolCommand(tool);
    forTool(tool, toolOptions(cmd), cmd.options as readonly Option[]);
  }
  const listNo = q('__fish_seen_subcommand_from list');
  const completionNo = q('__fish_seen_subcommand_from completion');
  return `# fish completion for polytrace and its tools (trace argdist funccount funclatency stackcount).
# Generated by: polytrace completion fish
# Install: polytrace completion fish > ~/.config/fish/completions/polytrace.fish
# (and link it as trace.fish, argdist.fish, … for the five bins), or: polytrace completion fish | source
set -g __polytrace_self ${selfCommand().map(q).join(' ')}

# The tool being completed: the bin's own name, or the word after polytrace.
function __polytrace_tool
    set -l words (commandline -opc)
    set -l tool (string replace -r '.*/' '' -- $words[1])
    if test "$tool" = polytrace
        set tool $words[2]
    end
    echo $tool
end

# Probe names (and list patterns) for the token under the cursor, from the host.
function __polytrace_candidates
    $__polytrace_self completion --candidates (__polytrace_tool) (commandline -ct) 2>/dev/null
end

for bin in ${bins.join(' ')}
    complete -c $bin -e
end
complete -c polytrace -f -n __fish_use_subcommand -a ${q(SUBCOMMANDS.join(' '))}
complete -c polytrace -f -n __fish_use_subcommand -s h -l help -d 'show help'
complete -c polytrace -f -n __fish_use_subcommand -s V -l version -d 'print the version'
${lines.join('\n')}
complete -c polytrace -n ${listNo} -f -a '(__polytrace_candidates)'
complete -c polytrace -n ${listNo} -s v -l verbose -d 'show signatures, fields and arguments'
complete -c polytrace -n ${listNo} -s h -l help -d 'show help'
complete -c polytrace -n ${completionNo} -f -a ${q(SHELLS.join(' '))}
`;
}

const SCRIPTS: Record<Shell, () => Promise<string>> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export async function run(argv: readonly string[], prog: string): Promise<void> {
  if (argv[0] === '--candidates') {
    const [, tool = '', word = ''] = argv;
    // The host is read only here, not for printing a script.
    const { liveHost } = await import('../pipeline/host.js');
    const c = await probeCandidates(tool, word, liveHost());
    process.stdout.write(c.length ? `${c.join('\n')}\n` : '');
    return;
  }
  const shell = argv[0];
  const usage = `usage: ${prog} {${SHELLS.join(',')}}`;
  if (argv.length !== 1 || !(SHELLS as readonly string[]).includes(shell ?? '')) {
    if (shell === '-h' || shell === '--help') {
      process.stdout.write(
        `${usage}\n\nPrint a shell completion script.\n\nexamples:\n    eval "$(polytrace completion bash)"\n    source <(polytrace completion zsh)\n    polytrace completion fish > ~/.config/fish/completions/polytrace.fish\n`,
      );
      return;
    }
    throw new UsageError(`argument shell: invalid choice: '${shell ?? ''}' (choose from ${SHELLS.map((x) => `'${x}'`).join(', ')})`, [usage]);
  }
  process.stdout.write(await SCRIPTS[shell as Shell]());
}

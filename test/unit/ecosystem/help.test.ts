/**
 * `--help` keeps BCC's text: argparse prints each option's description as written, so no
 * commander annotation (`(default: false)`, `(default: [])`, `(default: 80)`) may follow it.
 * A default worth telling is in the description itself, as BCC writes it
 * (argdist's `-i`: `(default 1 second)`, printed once).
 */
import { describe, it, expect } from 'vitest';
import type { Command } from 'commander';
import { toolCommand } from '../../../src/multitools/completion.js';
import { TOOLS } from '../../../src/multitools/tools.js';

/** The help text with commander's wrapping undone (continuation lines joined). */
function helpOf(cmd: Command): string {
  return cmd.helpInformation().replace(/\n {20,}/g, ' ');
}

describe('--help', () => {
  it.each([...TOOLS])('%s: every option is described as written, with no commander annotation', async (tool) => {
    const cmd = await toolCommand(tool);
    const help = helpOf(cmd);
    expect(help).not.toMatch(/\((default|preset|choices|env): /);
    for (const o of cmd.options) {
      // The option's line ends with its description, nothing appended.
      const line = help.split('\n').find((l) => l.trimStart().startsWith(o.flags));
      expect(line, o.flags).toBeDefined();
      expect(line!.replace(/\s+/g, ' ').trimEnd().endsWith(o.description.replace(/\s+/g, ' ')), `${tool} ${o.flags}: ${line}`).toBe(true);
    }
  });

  it("argdist -i reads as BCC's: (default 1 second), once", async () => {
    const help = helpOf(await toolCommand('argdist'));
    expect(help).toMatch(/-i, --interval <INTERVAL> +output interval, in seconds \(default 1 second\)\n/);
    expect(help.match(/default/g)).toHaveLength(1);
  });

  it('boolean flags and repeatable options have no default shown', async () => {
    const help = helpOf(await toolCommand('funccount'));
    expect(help).toMatch(/-T, --timestamp +include timestamp on output\n/);
    expect(help).not.toContain('(default: false)');
    expect(help).not.toContain('(default: [])');
  });
});

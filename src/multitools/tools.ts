/**
 * The BCC-named tools: the one list. scripts/bundle.mjs builds a bundle for each (and checks
 * package.json's bin against it), bin/load.js knows them by those bundles, scripts/gen-man.mjs
 * writes a page for each, main.ts runs them and completion.ts completes them. It imports
 * nothing, so that the scripts can read it from dist/ cheaply.
 */
export const TOOLS = ['trace', 'argdist', 'funccount', 'funclatency', 'stackcount'] as const;
export type ToolName = (typeof TOOLS)[number];

/** polytrace's own subcommands besides the tools. */
export const COMMANDS = ['list', 'features', 'completion'] as const;

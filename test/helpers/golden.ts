/**
 * Golden files: the one place where a test compares its output with a checked-in file, and the
 * one place that may rewrite such a file.
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/tools   # (re)writes the goldens those tests produce
 *
 * - `UPDATE_GOLDEN=1` (and not CI): the golden is written (its folder made) and the check passes.
 * - `CI=true`: a golden is never written, whatever UPDATE_GOLDEN says; a missing or different
 *   golden fails.
 * - otherwise: compared; a missing golden fails and says how to make it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { expect } from 'vitest';

/** The environment variable that lets tests rewrite their golden files. */
export const UPDATE_GOLDEN_ENV = 'UPDATE_GOLDEN';

/** Whether this run may (re)write golden files: `UPDATE_GOLDEN=1`, and never on CI. */
export function updatingGoldens(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[UPDATE_GOLDEN_ENV] === '1' && env.CI !== 'true';
}

/** Compares `actual` with the golden file at `path` (absolute), or rewrites it when updating. */
export function expectGolden(path: string, actual: string): void {
  if (updatingGoldens()) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  const shown = relative(process.cwd(), path);
  if (!existsSync(path)) {
    throw new Error(`missing golden file ${shown}: run the test with ${UPDATE_GOLDEN_ENV}=1 (outside CI) to write it, then review and commit it`);
  }
  expect(actual, `golden file ${shown} (${UPDATE_GOLDEN_ENV}=1 rewrites it)`).toBe(readFileSync(path, 'utf8'));
}

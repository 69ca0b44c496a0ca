#!/usr/bin/env node
import { main } from '../dist/cli/main.js';
await main('trace', process.argv.slice(2));

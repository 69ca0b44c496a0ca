#!/usr/bin/env node
import { main } from '../dist/cli/main.js';
await main('funclatency', process.argv.slice(2));

#!/usr/bin/env node
import { main } from '../dist/multitools/main.js';
await main('funccount', process.argv.slice(2));

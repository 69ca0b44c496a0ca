#!/usr/bin/env node
import { main } from '../dist/multitools/main.js';
await main(undefined, process.argv.slice(2));

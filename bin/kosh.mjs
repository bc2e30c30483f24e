#!/usr/bin/env node
// Runs the kosh CLI from its TypeScript sources (compiled on load by tsx).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

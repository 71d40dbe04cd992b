// Floor for the 100 MB step: the same output piped through one node process into a file.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

await pipeline(process.stdin, createWriteStream(process.argv[2]));

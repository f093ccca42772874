import { Command } from 'commander';
import { UsageError } from '../../errors/operator-error.js';
import { INPUT_FILE_KINDS, type InputFileKind, inputFileJsonSchema } from '../input-file-json-schema.js';

/** `imbot-rollout schema apps|portals`: the input file's JSON Schema on stdout, for editors. */
export function schemaCommand(): Command {
  return new Command('schema')
    .description(
      'Print the JSON Schema of the apps or portals file (generated from the validation itself), for an editor: ' +
        'save it next to the file and name it with "$schema" (README, "Editor support")',
    )
    .argument('<kind>', `${INPUT_FILE_KINDS.join(' or ')}`)
    .action((kind: string) => {
      if (!(INPUT_FILE_KINDS as readonly string[]).includes(kind))
        throw new UsageError(`schema: "${kind}" is not a file kind; give ${INPUT_FILE_KINDS.join(' or ')}`);
      process.stdout.write(`${JSON.stringify(inputFileJsonSchema(kind as InputFileKind), null, 2)}\n`);
    });
}

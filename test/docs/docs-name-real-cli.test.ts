import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS } from '../../src/config/load-config.js';

/**
 * The README and docs/*.md name only commands, flags and environment variables the CLI has. The CLI is read
 * in-process: every `*Command()` builder in src/cli/commands/ (what src/cli/main.ts adds to the program), with
 * the options each command's --help shows, and ENV_KEYS of src/config/load-config.ts. Only code in the docs
 * counts (fenced blocks and `inline code`): prose says "imbot-rollout runs ...".
 */
const ROOT = join(import.meta.dirname, '../..');
const DOCS = join(ROOT, 'docs');
const FILES = [
  join(ROOT, 'README.md'),
  ...readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS, name)),
];
const COMMANDS_DIR = join(ROOT, 'src/cli/commands');

/** Flags the docs give to other programs, each with the program: not the CLI's. */
const OTHER_PROGRAMS_FLAGS: Record<string, string> = {
  '--cluster': 'npm run chaos -- --cluster (chaos/run-chaos.ts)',
  '--profile': 'docker-compose --profile',
  '--scale': 'docker-compose up --scale',
  '--cpu-prof': 'node --cpu-prof',
  '--expose-gc': 'node --expose-gc (docs/performance.md, the plan-100k heap figures)',
  '--import': 'node --import tsx',
  '--appendfsync': 'redis-server --appendfsync',
  '--noEmit': 'tsc --noEmit',
};

/** Names the docs spell like configuration variables that are not in ENV_KEYS, each with what it is. */
const OTHER_VARIABLES: Record<string, string> = {
  ROLLOUT_CONFIG: 'the extra config file, read by loadConfig itself (src/config/load-config.ts)',
  ROLLOUT_ABORTED: "an error code: the pair's last error after `rollout --abort` (docs/waves.md)",
};

/** Options every command has (commander adds them). */
const ALWAYS = new Set(['--help', '-h']);

interface CliCommand {
  /** `queue`, or a subcommand's path. */
  name: string;
  options: Set<string>;
}

async function cliCommands(): Promise<CliCommand[]> {
  const found: CliCommand[] = [];
  const walk = (command: Command, parent: string) => {
    const name = parent === '' ? command.name() : `${parent} ${command.name()}`;
    const options = command.options.flatMap((o) => [o.long, o.short].filter((f) => f !== undefined));
    found.push({ name, options: new Set([...options, ...ALWAYS]) });
    for (const sub of command.commands) walk(sub, name);
  };
  for (const file of readdirSync(COMMANDS_DIR).filter((f) => f.endsWith('.ts'))) {
    const module = (await import(join(COMMANDS_DIR, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module))
      if (name.endsWith('Command') && typeof value === 'function') walk((value as () => Command)(), '');
  }
  return found;
}

/** Fenced code lines and inline code spans of a markdown text, each with its line number. */
function codeOf(text: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  let fenced = false;
  text.split('\n').forEach((line, index) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return;
    }
    if (fenced) out.push({ line: index + 1, code: line });
    else for (const span of line.matchAll(/`([^`]+)`/g)) out.push({ line: index + 1, code: span[1] ?? '' });
  });
  return out;
}

const FLAG = /(?<![\w-])(--[a-zA-Z][a-zA-Z0-9-]*\*?)/g;
const VARIABLE = /\b(?:(?:ROLLOUT|REDIS|B24)_[A-Z0-9_]+|LOG_LEVEL)\b/g;
/**
 * `imbot-rollout <command> [<subcommand>] ...` up to the end of that shell command. Not right after a quote: a
 * quoted string is a message the program prints ("imbot-rollout now owns ..."), not a command line.
 */
const INVOCATION = /(?<!["'])imbot-rollout ([a-z][a-z-]*)([^|;&#]*)/g;

/** `--halt-*` names a family of flags: some flag must start with `--halt-`. */
function flagExists(flag: string, options: Set<string>): boolean {
  if (flag.endsWith('*')) return [...options].some((o) => o.startsWith(flag.slice(0, -1)));
  return options.has(flag);
}

describe('the docs name only what the CLI has', async () => {
  const commands = await cliCommands();
  const byName = new Map(commands.map((c) => [c.name, c]));
  const allOptions = new Set(commands.flatMap((c) => [...c.options]));
  const where = (file: string, line: number) => `${relative(ROOT, file)}:${line}`;

  it('finds the commands of src/cli/main.ts (the test reads the CLI, not a copy of it)', () => {
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(['rollout', 'worker', 'status', 'retry', 'export', 'serve', 'queue']),
    );
  });

  it('every `imbot-rollout <command>` is a command, with flags that command has', () => {
    const wrong: string[] = [];
    for (const file of FILES)
      for (const { line, code } of codeOf(readFileSync(file, 'utf8')))
        for (const [, name = '', rest = ''] of code.matchAll(INVOCATION)) {
          const command = byName.get(name);
          if (!command) {
            wrong.push(`${where(file, line)}: no command \`${name}\` (in \`${code.trim()}\`)`);
            continue;
          }
          const sub = /^\s+([a-z][a-z-]*)/.exec(rest)?.[1];
          const options = (sub && byName.get(`${name} ${sub}`)?.options) || command.options;
          for (const [flag = ''] of rest.matchAll(FLAG))
            if (!flagExists(flag, options))
              wrong.push(
                `${where(file, line)}: \`imbot-rollout ${name}\` has no ${flag} (in \`${code.trim()}\`)`,
              );
        }
    expect(wrong, 'fix the doc, or the CLI').toEqual([]);
  });

  it('every --flag in the docs is a flag of some command, or of another program listed in this test', () => {
    const wrong: string[] = [];
    for (const file of FILES)
      for (const { line, code } of codeOf(readFileSync(file, 'utf8')))
        for (const [flag = ''] of code.matchAll(FLAG))
          if (!flagExists(flag, allOptions) && !(flag in OTHER_PROGRAMS_FLAGS))
            wrong.push(`${where(file, line)}: no command has ${flag} (in \`${code.trim()}\`)`);
    expect(wrong, 'fix the doc, the CLI, or name the other program in OTHER_PROGRAMS_FLAGS').toEqual([]);
  });

  it('every ROLLOUT_*, REDIS_*, B24_* and LOG_LEVEL the docs name is read by the configuration', () => {
    const wrong: string[] = [];
    for (const file of FILES)
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((text, index) => {
          for (const [name] of text.matchAll(VARIABLE))
            if (!(name in ENV_KEYS) && !(name in OTHER_VARIABLES))
              wrong.push(`${where(file, index + 1)}: ${name} is not in ENV_KEYS (src/config/load-config.ts)`);
        });
    expect(wrong, 'fix the doc, add the variable to ENV_KEYS, or explain it in OTHER_VARIABLES').toEqual([]);
  });
});

describe("README's folder table", () => {
  it('names every folder of src/', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = new Set(
      [...readme.matchAll(/^\|(.*?)\|/gm)].flatMap((row) => row[1]?.match(/src\/[a-z-]+/g) ?? []),
    );
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `src/${entry.name}`);
    expect(folders.filter((folder) => !table.has(folder))).toEqual([]);
  });
});

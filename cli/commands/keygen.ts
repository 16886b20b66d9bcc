import type { Argv } from 'yargs';
import { WtoolsError, writeKeyPair } from '../../lib/index.js';
import { type GlobalFlags, colors, readStdinText } from '../common.js';
import { printJson, printLine } from '../output.js';

interface KeygenArgs extends GlobalFlags {
  'output-prefix': string;
  'passphrase-stdin': boolean;
}

export const keygenCommand = {
  command: 'keygen',
  describe: 'Write an ECDSA P-256 key pair for `wtools sign --key`: PREFIX.key (0600) and PREFIX.pub',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .option('output-prefix', {
        type: 'string',
        default: 'wtools',
        describe: 'Path prefix of the two files (a directory means DIR/wtools); existing files are kept',
      })
      .option('passphrase-stdin', {
        type: 'boolean',
        default: false,
        describe: 'Encrypt the private key (AES-256-CBC) with the passphrase read from stdin',
      })
      .example('$0 keygen --output-prefix keys/release', 'keys/release.key and keys/release.pub, unencrypted')
      .example('printf %s "$PASS" | $0 keygen --passphrase-stdin', 'wtools.key encrypted with $PASS'),
  handler: async (argv: KeygenArgs) => {
    let passphrase: string | undefined;
    if (argv['passphrase-stdin']) {
      passphrase = await readStdinText();
      if (passphrase === '') {
        throw new WtoolsError(
          'USAGE',
          'the passphrase on stdin is empty; leave out --passphrase-stdin for an unencrypted key',
        );
      }
    }
    const files = await writeKeyPair(argv['output-prefix'], passphrase);
    if (argv.json) return printJson(files);
    if (argv.quiet) {
      printLine(files.privateKeyPath);
      return printLine(files.publicKeyPath);
    }
    const c = colors(argv);
    printLine(`${c.green('✔')} wrote a key pair (${files.keyId})`);
    printLine(
      `  private  ${files.privateKeyPath}  (mode 0600${files.encrypted ? ', encrypted' : ', NOT encrypted'})`,
    );
    printLine(`  public   ${files.publicKeyPath}`);
  },
};

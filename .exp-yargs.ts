import yargs from 'yargs';
async function run(argv: string[]) {
  let selected: unknown = null;
  const y = yargs()
    .scriptName('hubify')
    .usage('$0 <command>')
    .strict()
    .exitProcess(false)
    .version('0.1.0')
    .option('debug', { type: 'boolean', describe: 'Show stack traces' })
    .command('manifest', 'Work with manifests', (y) =>
      y.command('validate <file>', 'Validate a manifest', (y2) => y2.positional('file', { type: 'string', describe: 'the file' }).option('json', { type: 'boolean', default: false }), (args) => { selected = args; })
       .demandCommand(1, 'Name a subcommand'))
    .demandCommand(1, 'Name a command')
    .fail((msg, err) => { throw new Error('FAIL: ' + msg + ' / ' + String(err)); })
    .help();
  try {
    const out = await new Promise((resolve, reject) => {
      try {
      const r = y.parse(argv, {}, (err, parsedArgs, output) => { resolve({ err: err ? String(err) : null, output }); });
      } catch (e) { reject(e); }
    });
    console.log(JSON.stringify(argv), '=>', JSON.stringify(out), 'selected', JSON.stringify(selected));
  } catch (e) { console.log(JSON.stringify(argv), 'THREW', String(e)); }
}
for (const a of [['--help'], ['--version'], [], ['frob'], ['manifest'], ['manifest', 'validate'], ['manifest', 'validate', 'x.yaml', '--json'], ['manifest', 'validate', 'x.yaml', '--jsn'], ['manifest', '--help'], ['manifest', 'validate', '--help'], ['--bogus']]) await run(a);

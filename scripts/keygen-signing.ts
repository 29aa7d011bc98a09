// Prints a new Ed25519 key pair for signing checkpoints (docs/proofs.md, "Keys"):
//   npm run --silent keygen:signing -- <key name, e.g. ledger.example.com>
// The first line is the signer key for LEDGER_SIGNING_KEY (keep it secret); the second the
// verifier key to hand to whoever checks the checkpoints.
import { generateSignerKey } from '../src/app/signed-note.ts';

const [name, ...rest] = process.argv.slice(2);
if (!name || rest.length > 0) {
  console.error('usage: npm run --silent keygen:signing -- <key name: no white space, no "+", e.g. ledger.example.com>');
  process.exit(2);
}
try {
  const { signerKey, verifierKey } = await generateSignerKey(name);
  console.log(`LEDGER_SIGNING_KEY=${signerKey}`);
  console.log(`verifier key: ${verifierKey}`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

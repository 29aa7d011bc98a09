/**
 * Signed notes (C2SP signed-note, as golang.org/x/mod/sumdb/note reads and writes them) with
 * Ed25519, and checkpoints (C2SP tlog-checkpoint) in them: spec section 12, docs/proofs.md.
 * WebCrypto only and no Node import, so that Node and Workers sign alike and the auditor console
 * verifies with the same code in the browser.
 */
import { base64ToBytes, base64UrlToBytes, bytesToBase64, bytesToHex, concatBytes, hexToBytes } from '../domain/bytes.ts';

const ED25519 = 0x01;
/** A PKCS #8 Ed25519 private key is this prefix and the 32-byte seed (RFC 8410). */
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const SIGNATURE_LINE = /^\u2014 ([^\s+]+) ([A-Za-z0-9+/]+=*)$/u;

const utf8 = new TextEncoder();
const b64 = bytesToBase64;
const unb64 = base64ToBytes;
const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** The first `count` fields before a `+`, and the rest (base64 has `+` in it). */
function fields(text: string, count: number): string[] {
  const parts = text.trim().split('+');
  return parts.length <= count ? parts : [...parts.slice(0, count), parts.slice(count).join('+')];
}

/** A key name: not empty, no white space, no `+` (signed-note). */
const validName = (name: string) => name.length > 0 && !/[\s+]/u.test(name);

/** The first 4 bytes of SHA-256(name, "\n", 0x01, public key), big-endian. */
async function keyHash(name: string, publicKey: Uint8Array): Promise<number> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(utf8.encode(`${name}\n`), Uint8Array.of(ED25519), publicKey)));
  return new DataView(digest.buffer).getUint32(0);
}

export interface NoteSigner {
  readonly name: string;
  /** `<name>+<key hash>+<base64 of 0x01 and the public key>`: what verifiers are given. */
  readonly verifierKey: string;
  /** The signed note of `text` (which ends with a newline): the text, a blank line, the signature line. */
  sign(text: string): Promise<string>;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: number;
  /** The note's text when one of its signatures is this key's and verifies; null otherwise. */
  open(note: string): Promise<string | null>;
}

/** `PRIVATE+KEY+<name>+<key hash>+<base64 of 0x01 and the 32-byte seed>`, as LEDGER_SIGNING_KEY holds it. */
export async function signerFromKey(signerKey: string): Promise<NoteSigner> {
  const [p, k, name, hash, key] = fields(signerKey, 4);
  const bytes = key === undefined ? null : unb64(key);
  if (p !== 'PRIVATE' || k !== 'KEY' || !name || !validName(name) || !/^[0-9a-f]{8}$/.test(hash ?? '')
    || !bytes || bytes.length !== 33 || bytes[0] !== ED25519) {
    throw new Error('a signer key is PRIVATE+KEY+<name>+<8 hex digits>+<base64 of 0x01 and a 32-byte Ed25519 seed>');
  }
  const privateKey = await crypto.subtle.importKey('pkcs8', concatBytes(PKCS8_PREFIX, bytes.subarray(1)), { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const publicKey = base64UrlToBytes(jwk.x ?? '');
  if (!publicKey) throw new Error('WebCrypto gave no Ed25519 public key');
  const expected = await keyHash(name, publicKey);
  if (hex8(expected) !== hash) throw new Error(`the signer key's hash is ${hash}, but its key makes ${hex8(expected)}`);
  const signature = (text: string) => crypto.subtle.sign({ name: 'Ed25519' }, privateKey, utf8.encode(text));
  const prefix = Uint8Array.from([expected >>> 24, (expected >>> 16) & 0xff, (expected >>> 8) & 0xff, expected & 0xff]);
  return {
    name,
    verifierKey: `${name}+${hash}+${b64(concatBytes(Uint8Array.of(ED25519), publicKey))}`,
    async sign(text) {
      if (!text.endsWith('\n') || text.includes('\n\n')) throw new Error('a note\'s text ends with a newline and has no blank line');
      return `${text}\n\u2014 ${name} ${b64(concatBytes(prefix, new Uint8Array(await signature(text))))}\n`;
    },
  };
}

/** `<name>+<key hash>+<base64 of 0x01 and the 32-byte public key>`. */
export async function verifierFromKey(verifierKey: string): Promise<NoteVerifier> {
  const [name, hash, key] = fields(verifierKey, 2);
  const bytes = key === undefined ? null : unb64(key);
  if (!name || !validName(name) || !/^[0-9a-f]{8}$/.test(hash ?? '') || !bytes || bytes.length !== 33 || bytes[0] !== ED25519) {
    throw new Error('a verifier key is <name>+<8 hex digits>+<base64 of 0x01 and a 32-byte Ed25519 public key>');
  }
  const publicKey = bytes.subarray(1);
  const expected = await keyHash(name, publicKey);
  if (hex8(expected) !== hash) throw new Error(`the verifier key's hash is ${hash}, but its key makes ${hex8(expected)}`);
  const cryptoKey = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return {
    name,
    keyHash: expected,
    async open(note) {
      const parsed = parseNote(note);
      if (!parsed) return null;
      for (const sig of parsed.signatures) {
        if (sig.name !== name || sig.bytes.length !== 68 || new DataView(sig.bytes.buffer, sig.bytes.byteOffset).getUint32(0) !== expected) continue;
        if (await crypto.subtle.verify({ name: 'Ed25519' }, cryptoKey, sig.bytes.subarray(4), utf8.encode(parsed.text))) return parsed.text;
      }
      return null;
    },
  };
}

/** A note's text and signatures, or null when it is not a well-formed signed note. */
function parseNote(note: string): { text: string; signatures: { name: string; bytes: Uint8Array<ArrayBuffer> }[] } | null {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return null;
  const text = note.slice(0, split + 1);
  const signatures = [];
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const match = SIGNATURE_LINE.exec(line);
    const bytes = match ? unb64(match[2]!) : null;
    if (!match || !bytes || bytes.length < 5) return null;
    signatures.push({ name: match[1]!, bytes });
  }
  return { text, signatures };
}

/** A new Ed25519 key pair as signed-note key texts. */
export async function generateSignerKey(name: string): Promise<{ signerKey: string; verifierKey: string }> {
  if (!validName(name)) throw new Error('a key name has no white space and no "+"');
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  if (!('privateKey' in pair)) throw new Error('WebCrypto gave no Ed25519 key pair');
  const seed = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey)).subarray(PKCS8_PREFIX.length);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const hash = hex8(await keyHash(name, publicKey));
  return {
    signerKey: `PRIVATE+KEY+${name}+${hash}+${b64(concatBytes(Uint8Array.of(ED25519), seed))}`,
    verifierKey: `${name}+${hash}+${b64(concatBytes(Uint8Array.of(ED25519), publicKey))}`,
  };
}

/** A tree head as a C2SP tlog-checkpoint body: origin, size, base64 root, each on its line. */
export interface Checkpoint {
  readonly origin: string;
  readonly treeSize: number;
  /** Lowercase hex. */
  readonly rootHash: string;
}

export function checkpointText(c: Checkpoint): string {
  const root = hexToBytes(c.rootHash);
  if (!root || root.length !== 32) throw new Error(`a root hash is 64 lowercase hex digits, not ${c.rootHash}`);
  return `${c.origin}\n${c.treeSize}\n${b64(root)}\n`;
}

/** The checkpoint of a note's text (extension lines are allowed and ignored), or null. */
export function parseCheckpoint(text: string): Checkpoint | null {
  const [origin, size, root] = text.split('\n');
  const hash = root === undefined ? null : unb64(root);
  if (!origin || !/^(0|[1-9][0-9]{0,15})$/.test(size ?? '') || !hash || hash.length !== 32) return null;
  return { origin, treeSize: Number(size), rootHash: bytesToHex(hash) };
}

/** The origin line of a ledger's checkpoints (spec section 12). */
export const ledgerOrigin = (keyName: string, ledgerId: string): string => `${keyName}/ledgers/${ledgerId}`;

/** The checkpoint of a signed note that the key signed (and, if given, for this ledger's origin), or why not. */
export async function openCheckpoint(note: string, verifier: NoteVerifier, ledgerId?: string): Promise<Checkpoint | string> {
  const text = await verifier.open(note);
  if (text === null) return `the checkpoint carries no valid signature of ${verifier.name}+${verifier.keyHash.toString(16).padStart(8, '0')}`;
  const checkpoint = parseCheckpoint(text);
  if (!checkpoint) return 'the signed note is not a checkpoint (origin, tree size, base64 root)';
  if (ledgerId !== undefined && checkpoint.origin !== `${verifier.name}/ledgers/${ledgerId}`) {
    return `the checkpoint is for ${checkpoint.origin}, not ${verifier.name}/ledgers/${ledgerId}`;
  }
  return checkpoint;
}

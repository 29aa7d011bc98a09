// Signed notes against golang.org/x/mod/sumdb/note's own test vectors (sumdb/note/note_test.go,
// golang/mod commit 02c991387e35f9e4c0a9b7ce137717055f8d716d: TestNewSigner, TestNewVerifier,
// TestSign and TestOpen): its known key pair, and the note it signs with it, byte for byte.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointText, generateSignerKey, parseCheckpoint, signerFromKey, verifierFromKey } from '../../src/app/signed-note.ts';

const SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const TEXT = 'If you think cryptography is the answer to your problem,\nthen you don\'t know what your problem is.\n';
const SIGNED = `${TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
const ENOCH_SIG = '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

describe('signed notes (golang.org/x/mod/sumdb/note vectors)', () => {
  it('derives the reference verifier key from the reference signer key', async () => {
    expect((await signerFromKey(SIGNER_KEY)).verifierKey).toBe(VERIFIER_KEY);
  });

  it('signs the reference note byte for byte (Ed25519 is deterministic)', async () => {
    expect(await (await signerFromKey(SIGNER_KEY)).sign(TEXT)).toBe(SIGNED);
  });

  it('opens the reference note, also among other keys\' signatures, and refuses it altered', async () => {
    const verifier = await verifierFromKey(VERIFIER_KEY);
    expect(verifier.keyHash).toBe(0xc74f20a3);
    expect(await verifier.open(SIGNED)).toBe(TEXT);
    expect(await verifier.open(SIGNED + ENOCH_SIG)).toBe(TEXT);
    expect(await verifier.open(SIGNED.replace('problem,', 'problem.'))).toBeNull();
    expect(await verifier.open(SIGNED.replace('x08go', 'x08gp'))).toBeNull();
    expect(await verifier.open(SIGNED.replace('PeterNeumann', 'CarmenSandiego'))).toBeNull();
    expect(await verifier.open(TEXT)).toBeNull();
    expect(await verifier.open(`${SIGNED}Unexpected line.\n`)).toBeNull();
  });

  it('is opened by the Python verifier written from docs/proofs.md (its own Ed25519), and refused altered', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-note-'));
    const python = (note: string) => {
      writeFileSync(join(dir, 'note'), note);
      try {
        return execFileSync('python3', ['scripts/verify_proofs.py', 'note', join(dir, 'note'), '--key', VERIFIER_KEY], { encoding: 'utf8' });
      } catch (error) {
        return String((error as { stdout: string }).stdout);
      }
    };
    expect(python(SIGNED)).toBe(`OK: ${JSON.stringify(TEXT)}\n`);
    expect(python(SIGNED.replace('problem,', 'problem.'))).toMatch(/^BAD: no valid signature of PeterNeumann/);
  });

  it('refuses mangled keys', async () => {
    for (const bad of [SIGNER_KEY.slice(1), SIGNER_KEY.replace('c74f20a3', 'c74f20a4'), SIGNER_KEY.replace('AYEK', 'AZEK'), `${SIGNER_KEY}+x`]) {
      await expect(signerFromKey(bad), bad).rejects.toThrow();
    }
    for (const bad of [VERIFIER_KEY.slice(0, -1), VERIFIER_KEY.replace('c74f', 'c74e'), 'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW']) {
      await expect(verifierFromKey(bad), bad).rejects.toThrow();
    }
  });

  it('a generated pair signs checkpoints its verifier opens', async () => {
    const { signerKey, verifierKey } = await generateSignerKey('ledger.example');
    const signer = await signerFromKey(signerKey);
    expect(signer.verifierKey).toBe(verifierKey);
    const text = checkpointText({ origin: 'ledger.example/ledgers/acme', treeSize: 3, rootHash: 'ab'.repeat(32) });
    expect(text).toBe(`ledger.example/ledgers/acme\n3\n${Buffer.alloc(32, 0xab).toString('base64')}\n`);
    const note = await signer.sign(text);
    expect(await (await verifierFromKey(verifierKey)).open(note)).toBe(text);
    expect(parseCheckpoint(text)).toEqual({ origin: 'ledger.example/ledgers/acme', treeSize: 3, rootHash: 'ab'.repeat(32) });
  });
});

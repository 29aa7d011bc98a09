#!/usr/bin/env python3
"""An independent verifier of the ledger's proofs, written from docs/proofs.md alone, with
Python's standard library only (Ed25519 verification is RFC 8032 section 6's reference code).

  python3 scripts/verify_proofs.py inclusion PROOF.json --checkpoint FILE --key VERIFIER_KEY [--event EVENT.json]
  python3 scripts/verify_proofs.py consistency PROOF.json --checkpoint OLDER [--checkpoint NEWER] --key VERIFIER_KEY
  python3 scripts/verify_proofs.py note NOTE_FILE --key VERIFIER_KEY

Prints "OK: ..." and exits 0, or "BAD ..." and exits 1; exits 2 on bad arguments.
"""
import argparse
import base64
import binascii
import hashlib
import json
import re
import sys

# --- Ed25519 verification (RFC 8032, section 6) -------------------------------------------

P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P
Q = 2**252 + 27742317777372353535851937790883648493
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x = (a[1] - a[0]) * (b[1] - b[0]) % P
    y = (a[1] + a[0]) * (b[1] + b[0]) % P
    c = 2 * a[3] * b[3] * D % P
    d = 2 * a[2] * b[2] % P
    e, f, g, h = y - x, d - c, d + c, y + x
    return (e * f, g * h, f * g, e * h)


def _mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
BASE = (_GX, _GY, 1, _GX * _GY % P)


def _decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    return _equal(_mul(s, BASE), _add(r, _mul(h, a)))


# --- Keys, signed notes, checkpoints (docs/proofs.md: Keys, Checkpoints) ---------------------

class Bad(Exception):
    pass


def b64(text):
    if not re.fullmatch(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", text):
        raise Bad("not base64: " + text[:20])
    return base64.b64decode(text)


def key_hash(name, public):
    return hashlib.sha256(name.encode() + b"\n" + b"\x01" + public).digest()[:4]


def parse_verifier_key(text):
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not parts[0] or re.search(r"\s", parts[0]) or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise Bad("a verifier key is <name>+<8 hex digits>+<base64>")
    name, hash_hex, key = parts
    raw = b64(key)
    if len(raw) != 33 or raw[0] != 1:
        raise Bad("the verifier key is not an Ed25519 key")
    public = raw[1:]
    if key_hash(name, public).hex() != hash_hex:
        raise Bad("the verifier key's hash does not match its key")
    return name, bytes.fromhex(hash_hex), public


def open_note(note, key):
    """The note's text if one of its signatures is the key's and verifies."""
    name, hash4, public = key
    data = note.encode("utf-8")
    split = data.rfind(b"\n\n")
    if split < 0 or not data.endswith(b"\n"):
        raise Bad("not a signed note")
    text = data[: split + 1]
    for line in data[split + 2: -1].split(b"\n"):
        match = re.fullmatch(r"\u2014 (\S+) (\S+)", line.decode("utf-8"))
        if not match:
            raise Bad("a malformed signature line")
        sig = b64(match.group(2))
        if match.group(1) == name and len(sig) == 68 and sig[:4] == hash4 and ed25519_verify(public, text, sig[4:]):
            return text.decode("utf-8")
    raise Bad("no valid signature of " + name)


def open_checkpoint(path, key):
    with open(path, encoding="utf-8") as f:
        text = open_note(f.read(), key)
    lines = text.split("\n")
    if len(lines) < 4 or not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
        raise Bad("the note is not a checkpoint")
    root = b64(lines[2])
    if len(root) != 32 or not lines[0].startswith(key[0] + "/ledgers/"):
        raise Bad("the note is not a checkpoint of " + key[0])
    return {"origin": lines[0], "size": int(lines[1]), "root": root}


# --- The tree (docs/proofs.md: The tree, Inclusion proof, Consistency proof) ----------------

def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(m, n, root1, root2, proof):
    if m < 1 or n < m:
        return False
    if m == n:
        return not proof and root1 == root2
    if not proof:
        return False
    if m & (m - 1) == 0:
        proof = [root1] + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == root1 and sr == root2


def hashes(values):
    if not all(isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) for v in values):
        raise Bad("the proof is malformed")
    return [bytes.fromhex(v) for v in values]


def inclusion(args, key):
    if len(args.checkpoint) != 1:
        raise Bad("inclusion takes one --checkpoint")
    cp = open_checkpoint(args.checkpoint[0], key)
    with open(args.proof, encoding="utf-8") as f:
        proof = json.load(f)
    position, size = proof["position"], proof["treeSize"]
    leaf_hash, path = hashes([proof["leafHash"]])[0], hashes(proof["auditPath"])
    if args.event:
        with open(args.event, encoding="utf-8") as f:
            event = json.load(f)
        if event["position"] != position or not cp["origin"].endswith("/ledgers/" + event["ledgerId"]):
            raise Bad(f"at position {position}: the event is not the proof's")
        leaf_hash = hashlib.sha256(b"\x00" + hashes([event["hash"]])[0]).digest()
        if leaf_hash.hex() != proof["leafHash"]:
            raise Bad(f"at position {position}: the event's leaf hash is not the proof's")
    if size != cp["size"]:
        raise Bad(f"at position {position}: the proof is for tree size {size}, the checkpoint for {cp['size']}")
    if not verify_inclusion(position - 1, size, leaf_hash, path, cp["root"]):
        raise Bad(f"at position {position}: the audit path does not lead to the signed root")
    return f"position {position} is in the tree of size {size} signed for {cp['origin']}"


def consistency(args, key):
    if len(args.checkpoint) not in (1, 2) or args.event:
        raise Bad("consistency takes one or two --checkpoint")
    cps = [open_checkpoint(path, key) for path in args.checkpoint]
    with open(args.proof, encoding="utf-8") as f:
        proof = json.load(f)
    m, n = proof["from"], proof["to"]
    root2 = cps[1]["root"] if len(cps) == 2 else hashes([proof["toRoot"]])[0]
    if m != cps[0]["size"] or (len(cps) == 2 and n != cps[1]["size"]):
        raise Bad(f"at position {m}: the proof's sizes are not the checkpoints'")
    if not verify_consistency(m, n, cps[0]["root"], root2, hashes(proof["proof"])):
        raise Bad(f"at position {m}: the tree of size {n} does not extend the signed tree of size {m}")
    return f"the tree of size {n} extends the tree of size {m} signed for {cps[0]['origin']}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["inclusion", "consistency", "note"])
    parser.add_argument("proof")
    parser.add_argument("--checkpoint", action="append", default=[])
    parser.add_argument("--key", required=True)
    parser.add_argument("--event")
    args = parser.parse_args()
    try:
        key = parse_verifier_key(args.key)
    except Bad as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    try:
        if args.mode == "note":
            with open(args.proof, encoding="utf-8") as f:
                print("OK: " + json.dumps(open_note(f.read(), key)))
        else:
            print("OK: " + (inclusion if args.mode == "inclusion" else consistency)(args, key))
    except (Bad, KeyError, TypeError, ValueError, binascii.Error) as error:
        message = str(error) if isinstance(error, Bad) else repr(error)
        print(("BAD " if message.startswith("at position") else "BAD: ") + message)
        sys.exit(1)


if __name__ == "__main__":
    main()

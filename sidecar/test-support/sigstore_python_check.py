"""Independent check of a Forge key-based DSSE bundle with sigstore-python's own verifiers.

sigstore-python (4.x) cannot verify bundles signed with a bare public key (sigstore-python#1244), so its
`sigstore verify` CLI refuses them. This script uses the library's pieces instead: its protobuf bundle
model, its Merkle-inclusion, signed-checkpoint and SET verification against a trusted_root.json, and
`cryptography` for the ECDSA signature over its own DSSE PAE encoding.

usage: sigstore_python_check.py BUNDLE FIRMWARE PUBLIC_KEY TRUSTED_ROOT
prints "OK ..." and exits 0, or prints the failure and exits 1.
"""

import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore._internal.trust import KeyringPurpose
from sigstore.dsse import _pae
from sigstore.models import TransparencyLogEntry, TrustedRoot
from sigstore_models.bundle.v1 import Bundle


def main(bundle_path: str, firmware_path: str, key_path: str, root_path: str) -> int:
    bundle = Bundle.from_json(open(bundle_path, "rb").read())
    keyring = TrustedRoot.from_file(root_path).rekor_keyring(KeyringPurpose.VERIFY)
    entries = bundle.verification_material.tlog_entries or []
    if not entries:
        print("FAIL bundle has no log entry")
        return 1
    for entry in entries:
        # Merkle inclusion proof, signed checkpoint and signed entry timestamp, by sigstore-python.
        TransparencyLogEntry(entry)._verify(keyring)

    public_key = serialization.load_pem_public_key(open(key_path, "rb").read())
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    hint = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    if bundle.verification_material.public_key.hint != hint:
        print("FAIL bundle key hint does not match the public key")
        return 1

    env = bundle.dsse_envelope
    try:
        public_key.verify(env.signatures[0].sig, _pae(env.payload_type, env.payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        print("FAIL DSSE signature does not verify")
        return 1

    statement = json.loads(env.payload)
    digest = hashlib.sha256(open(firmware_path, "rb").read()).hexdigest()
    if digest not in [s["digest"].get("sha256") for s in statement["subject"]]:
        print("FAIL firmware digest is not a subject of the statement")
        return 1
    print(f"OK {statement['predicateType']} log entries {[int(e.log_index) for e in entries]}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(*sys.argv[1:5]))
    except Exception as exc:  # any verification error from sigstore-python is a failure, not a crash
        print(f"FAIL {type(exc).__name__}: {exc}")
        sys.exit(1)

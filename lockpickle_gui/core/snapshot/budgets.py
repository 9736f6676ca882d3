"""Budgets: how much work and memory a snapshot may cost to read, checked before the work.

The aim (SECURITY.md): a hostile 1 MB file costs at most a few seconds and a few hundred MB
to refuse, whatever it claims. Every member except the bundled code files is stored
uncompressed, so what is parsed is never larger than the file; the limits below bound the
rest: how deep and how many, how much decoded data per byte of ``state.json``, how large an
integer, how heavy a dict key.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budgets:
    # ------------------------------------------------------------------ the archive
    max_members: int = 100_000
    max_member_bytes: int = 64 << 30
    max_total_bytes: int = 256 << 30
    max_manifest_bytes: int = 16 << 20
    max_code_bytes: int = 4 << 20  # one bundled code file, uncompressed
    max_config_bytes: int = 64 << 20  # one Keras config.json
    # Deflated members (only bundled code) may expand at most this much.
    max_compression_ratio: int = 100
    # ------------------------------------------------------------------ JSON
    max_json_depth: int = 32  # the manifest and state.json need at most 8
    max_int_literal_chars: int = 19  # larger ints are {"t": "int", "hex": ...} nodes
    max_string_chars: int = 16 << 20
    # ------------------------------------------------------------------ state.json
    max_state_bytes: int = 1 << 30
    max_nodes: int = 5_000_000
    max_types: int = 10_000
    max_name_chars: int = 256  # one "module:Qualname"
    max_qualname_parts: int = 8
    max_depth: int = 1_000  # nesting of the object graph (pickle's own limit is ~1,000)
    # CPython's own limit for int <-> str conversion (sys.get_int_max_str_digits)
    max_int_digits: int = 4_300
    max_inline_bytes: int = 1 << 20  # one base64 payload inside state.json
    # Decoded payload (base64, big ints, blobs, arrays) may not exceed this base plus this
    # many times the size of state.json, besides the members' own (stored) bytes.
    decoded_base: int = 64 << 20
    decoded_ratio: int = 4
    max_key_weight: int = 4_096  # objects in one dict key / set member, repeats counted
    max_immutable_depth: int = 256  # tuple-in-tuple nesting: hash() recurses in C
    max_hash_collisions: int = 64  # keys with one hash value in one container
    max_ndim: int = 32
    max_dtype_depth: int = 4
    max_dtype_fields: int = 1_024
    max_executor_workers: int = 1_024
    max_barrier_parties: int = 1 << 20
    max_pattern_chars: int = 1 << 16

    @property
    def max_int_bits(self) -> int:
        # 4,300 decimal digits are 14,284 bits
        return int(self.max_int_digits * 3.3219280948873626) + 1

    def decoded_limit(self, state_bytes: int) -> int:
        return self.decoded_base + self.decoded_ratio * state_bytes


DEFAULT = Budgets()

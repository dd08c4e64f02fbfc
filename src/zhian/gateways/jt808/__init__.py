"""JT/T 808-2013/2019 gateway for dangerous-goods vehicle terminals.

- :mod:`.codec`: framing, escaping, check code, headers, stream splitting, sub-packages (pure).
- :mod:`.messages`: typed bodies with their decoders and encoders (pure).
- :mod:`.normalize`: named alarm/status bits and the normalized position event.
- :mod:`.directory`: the :class:`TerminalDirectory` seam and an in-memory implementation.
- :mod:`.server`: the asyncio TCP server.
- :mod:`.tool`: the ``zhian jt808 decode`` line decoder.

Every codec error is a :class:`CodecError` (a ``ValueError``).
"""

from zhian.gateways.jt808.codec import (
    CodecError,
    Frame,
    FrameSplitter,
    Header,
    Reassembler,
    decode_frame,
    encode_frame,
)
from zhian.gateways.jt808.messages import decode_body, encode_body

__all__ = [
    "CodecError",
    "Frame",
    "FrameSplitter",
    "Header",
    "Reassembler",
    "decode_body",
    "decode_frame",
    "encode_body",
    "encode_frame",
]

"""The audit module's public surface."""

from taihe.modules.audit.chain import Break, verify

__all__ = ["Break", "verify"]

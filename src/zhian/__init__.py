"""zhian (治安): public-safety prevention and control platform."""

__version__ = "0.1.0"

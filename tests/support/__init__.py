"""Test support: real local HTTP servers, fixture paths, fake clocks."""

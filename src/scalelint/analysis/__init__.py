"""Analyses more than one rule family needs: module resolution, value tracing, clients."""

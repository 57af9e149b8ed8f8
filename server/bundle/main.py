"""The bundle's entry point: the host runs it with uv inside the unpacked bundle."""

from wix_data_mover_mcp.cli import main

raise SystemExit(main())

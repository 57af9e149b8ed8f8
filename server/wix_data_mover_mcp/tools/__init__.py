"""The MCP surface: one module per toolset, their result models, the job resource, the
prompts, and the registry that app wiring reads."""

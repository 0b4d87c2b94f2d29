"""Declared schemas of peel's input files (pydantic models), and their JSON Schemas for editors."""

"""The source-transformation compiler: parse, normalize, analyze, reverse, emit."""

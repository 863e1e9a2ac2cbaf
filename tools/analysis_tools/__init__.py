"""Analysis tools: throughput benchmark, synthetic study, recognition
tables."""

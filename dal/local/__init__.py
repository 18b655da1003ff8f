"""Local servers for development, tests and the demo: DynamoDB Local and a local MariaDB."""

// placeholder: PostgresClient

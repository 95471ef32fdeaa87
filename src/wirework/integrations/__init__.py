"""Built-in integration types, one folder per service (credentials, actions, triggers), each
declared with :mod:`wirework.sdk.integration` and found through its entry point in the
``wirework.integrations`` group, like a third-party package. Integrations build on the sdk
only: they never import the database, the API or the engine."""

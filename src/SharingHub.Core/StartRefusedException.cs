namespace SharingHub.Core;

/// <summary>
/// The hub will not start as it is set up (another process on its SQLite file, a key ring the database was not written
/// with): the message says what is wrong and how to mend it, and the process exits with that message alone, no stack trace.
/// </summary>
public class StartRefusedException(string message) : InvalidOperationException(message);

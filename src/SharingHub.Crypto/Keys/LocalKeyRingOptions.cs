namespace SharingHub.Crypto.Keys;

public sealed class LocalKeyRingOptions
{
    /// <summary>The key file; it lives outside the database so a copied database alone is unreadable.</summary>
    public string Path { get; set; } = "data/keyring.json";

    /// <summary>
    /// Whether a missing key file is created (a hub's first start, <c>demo load</c>) or refused (every other
    /// command: a mistyped path must not leave a new ring behind).
    /// </summary>
    public bool CreateIfMissing { get; set; } = true;
}

namespace SharingHub.Crypto.Keys;

public sealed class LocalKeyRingOptions
{
    /// <summary>The key file; it lives outside the database so a copied database alone is unreadable.</summary>
    public string Path { get; set; } = "data/keyring.json";
}

namespace SharingHub.Crypto.Keys;

public sealed class AzureKeyVaultOptions
{
    public const string Section = "SharingHub:KeyVault";

    /// <summary>The vault, e.g. https://sharinghub-kv.vault.azure.net/. Setting it switches the hub from the local key ring to the vault.</summary>
    public Uri? VaultUri { get; set; }

    /// <summary>The hub's key-encryption key (RSA, in the vault; it never leaves it).</summary>
    public string KeyName { get; set; } = "sharinghub-kek";

    /// <summary>Agencies that hold their own key-encryption key in the vault: agency code to key name.</summary>
    public Dictionary<string, string> AgencyKeyNames { get; set; } = [];
}

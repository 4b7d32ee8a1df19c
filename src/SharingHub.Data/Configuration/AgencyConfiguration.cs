using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SharingHub.Core.Agencies;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Configuration;

internal sealed class AgencyConfiguration : IEntityTypeConfiguration<Agency>
{
    public void Configure(EntityTypeBuilder<Agency> builder)
    {
        builder.HasKey(a => a.Code);
        builder.Property(a => a.Code).HasMaxLength(32);
        builder.Property(a => a.Name).HasMaxLength(128).IsRequired();
        builder.HasData(
            new Agency { Code = AgencyCodes.LocalAuthority, Name = "Local authority children's services" },
            new Agency { Code = AgencyCodes.Police, Name = "Police" },
            new Agency { Code = AgencyCodes.Health, Name = "Health (ICB and NHS providers)" },
            new Agency { Code = AgencyCodes.Education, Name = "Education" },
            new Agency { Code = AgencyCodes.Probation, Name = "Probation" });
    }
}

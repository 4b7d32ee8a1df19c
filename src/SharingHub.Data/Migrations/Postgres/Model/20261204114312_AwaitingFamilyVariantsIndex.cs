using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AwaitingFamilyVariantsIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_People_AwaitingFamilyVariants",
                table: "People",
                column: "Id",
                filter: "\"FamilyPhoneticIndex\" IS NOT NULL AND \"FamilyVariantIndexes\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_People_AwaitingFamilyVariants",
                table: "People");
        }
    }
}

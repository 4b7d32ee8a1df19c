using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LinkageBlockingIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_People_BirthDateSwappedIndex_FamilyPhoneticIndex",
                table: "People",
                columns: new[] { "BirthDateSwappedIndex", "FamilyPhoneticIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_People_GivenNameIndex",
                table: "People",
                column: "GivenNameIndex");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_People_BirthDateSwappedIndex_FamilyPhoneticIndex",
                table: "People");

            migrationBuilder.DropIndex(
                name: "IX_People_GivenNameIndex",
                table: "People");
        }
    }
}

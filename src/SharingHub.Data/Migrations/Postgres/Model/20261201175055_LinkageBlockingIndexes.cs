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
            // IF NOT EXISTS: on a large live installation a DBA builds these first with CREATE INDEX CONCURRENTLY (which does
            // not block writes to People), and the migration then finds them made (deploy/README.md, "Migrate").
            migrationBuilder.Sql("""CREATE INDEX IF NOT EXISTS "IX_People_BirthDateSwappedIndex_FamilyPhoneticIndex" ON "People" ("BirthDateSwappedIndex", "FamilyPhoneticIndex");""");
            migrationBuilder.Sql("""CREATE INDEX IF NOT EXISTS "IX_People_GivenNameIndex" ON "People" ("GivenNameIndex");""");
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

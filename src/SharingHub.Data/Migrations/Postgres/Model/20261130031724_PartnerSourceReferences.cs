using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PartnerSourceReferences : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SourceReference",
                table: "States",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceReference",
                table: "Relationships",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceReference",
                table: "Involvements",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceReference",
                table: "Consents",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_States_OwningOrganisation_SourceReference",
                table: "States",
                columns: new[] { "OwningOrganisation", "SourceReference" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Relationships_OwningOrganisation_SourceReference",
                table: "Relationships",
                columns: new[] { "OwningOrganisation", "SourceReference" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Involvements_OwningOrganisation_SourceReference",
                table: "Involvements",
                columns: new[] { "OwningOrganisation", "SourceReference" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Consents_OwningOrganisation_SourceReference",
                table: "Consents",
                columns: new[] { "OwningOrganisation", "SourceReference" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_States_OwningOrganisation_SourceReference",
                table: "States");

            migrationBuilder.DropIndex(
                name: "IX_Relationships_OwningOrganisation_SourceReference",
                table: "Relationships");

            migrationBuilder.DropIndex(
                name: "IX_Involvements_OwningOrganisation_SourceReference",
                table: "Involvements");

            migrationBuilder.DropIndex(
                name: "IX_Consents_OwningOrganisation_SourceReference",
                table: "Consents");

            migrationBuilder.DropColumn(
                name: "SourceReference",
                table: "States");

            migrationBuilder.DropColumn(
                name: "SourceReference",
                table: "Relationships");

            migrationBuilder.DropColumn(
                name: "SourceReference",
                table: "Involvements");

            migrationBuilder.DropColumn(
                name: "SourceReference",
                table: "Consents");
        }
    }
}

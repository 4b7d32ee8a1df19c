using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ProbabilisticLinkage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "BirthDateSwappedIndex",
                table: "People",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "BirthYearMonthIndex",
                table: "People",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "FamilyBloom",
                table: "People",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "FamilyPhoneticIndex",
                table: "People",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "GivenBloom",
                table: "People",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "GivenNameIndex",
                table: "People",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "GivenPhoneticIndex",
                table: "People",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PostcodeSectorIndex",
                table: "People",
                type: "BLOB",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "PersonPairs",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    PersonA = table.Column<Guid>(type: "TEXT", nullable: false),
                    PersonB = table.Column<Guid>(type: "TEXT", nullable: false),
                    Outcome = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Weight = table.Column<double>(type: "REAL", nullable: false),
                    Probability = table.Column<double>(type: "REAL", nullable: false),
                    Evidence = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    ScoredAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DecidedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    DecidedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PersonPairs", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_People_BirthDateIndex_FamilyPhoneticIndex",
                table: "People",
                columns: new[] { "BirthDateIndex", "FamilyPhoneticIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_People_BirthDateIndex_GivenNameIndex",
                table: "People",
                columns: new[] { "BirthDateIndex", "GivenNameIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_People_BirthDateIndex_PostcodeSectorIndex",
                table: "People",
                columns: new[] { "BirthDateIndex", "PostcodeSectorIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_People_BirthYearMonthIndex_FamilyNameIndex_GivenNameIndex",
                table: "People",
                columns: new[] { "BirthYearMonthIndex", "FamilyNameIndex", "GivenNameIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_PersonPairs_PersonA_PersonB",
                table: "PersonPairs",
                columns: new[] { "PersonA", "PersonB" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PersonPairs_PersonB",
                table: "PersonPairs",
                column: "PersonB");

            migrationBuilder.CreateIndex(
                name: "IX_PersonPairs_State_Outcome",
                table: "PersonPairs",
                columns: new[] { "State", "Outcome" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PersonPairs");

            migrationBuilder.DropIndex(
                name: "IX_People_BirthDateIndex_FamilyPhoneticIndex",
                table: "People");

            migrationBuilder.DropIndex(
                name: "IX_People_BirthDateIndex_GivenNameIndex",
                table: "People");

            migrationBuilder.DropIndex(
                name: "IX_People_BirthDateIndex_PostcodeSectorIndex",
                table: "People");

            migrationBuilder.DropIndex(
                name: "IX_People_BirthYearMonthIndex_FamilyNameIndex_GivenNameIndex",
                table: "People");

            migrationBuilder.DropColumn(
                name: "BirthDateSwappedIndex",
                table: "People");

            migrationBuilder.DropColumn(
                name: "BirthYearMonthIndex",
                table: "People");

            migrationBuilder.DropColumn(
                name: "FamilyBloom",
                table: "People");

            migrationBuilder.DropColumn(
                name: "FamilyPhoneticIndex",
                table: "People");

            migrationBuilder.DropColumn(
                name: "GivenBloom",
                table: "People");

            migrationBuilder.DropColumn(
                name: "GivenNameIndex",
                table: "People");

            migrationBuilder.DropColumn(
                name: "GivenPhoneticIndex",
                table: "People");

            migrationBuilder.DropColumn(
                name: "PostcodeSectorIndex",
                table: "People");
        }
    }
}

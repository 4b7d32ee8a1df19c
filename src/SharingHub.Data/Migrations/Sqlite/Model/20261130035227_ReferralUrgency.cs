using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReferralUrgency : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ConcernCategory",
                table: "Referrals",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DecidedBy",
                table: "Referrals",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "DecisionRationale",
                table: "Referrals",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Kind",
                table: "Referrals",
                type: "TEXT",
                maxLength: 40,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Reference",
                table: "Referrals",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SignedOffBy",
                table: "Referrals",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Urgency",
                table: "Referrals",
                type: "TEXT",
                maxLength: 40,
                nullable: false,
                defaultValue: "");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ConcernCategory",
                table: "Referrals");

            migrationBuilder.DropColumn(
                name: "DecidedBy",
                table: "Referrals");

            migrationBuilder.DropColumn(
                name: "DecisionRationale",
                table: "Referrals");

            migrationBuilder.DropColumn(
                name: "Kind",
                table: "Referrals");

            migrationBuilder.DropColumn(
                name: "Reference",
                table: "Referrals");

            migrationBuilder.DropColumn(
                name: "SignedOffBy",
                table: "Referrals");

            migrationBuilder.DropColumn(
                name: "Urgency",
                table: "Referrals");
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CaseReferral : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "ReferralId",
                table: "Enquiries",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Enquiries_ReferralId",
                table: "Enquiries",
                column: "ReferralId");

            migrationBuilder.AddForeignKey(
                name: "FK_Enquiries_Referrals_ReferralId",
                table: "Enquiries",
                column: "ReferralId",
                principalTable: "Referrals",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_Enquiries_Referrals_ReferralId",
                table: "Enquiries");

            migrationBuilder.DropIndex(
                name: "IX_Enquiries_ReferralId",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "ReferralId",
                table: "Enquiries");
        }
    }
}
